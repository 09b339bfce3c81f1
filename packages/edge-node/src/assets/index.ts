/**
 * Static files from a folder, for `@gatehouse/edge` on Node.
 *
 * @module
 */
export { type FileAsset, type FolderAssets, folderAssets, type FolderAssetsOptions } from './folder-assets.ts';
