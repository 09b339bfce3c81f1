/** The package managers a project can be made for. */
export const PACKAGE_MANAGERS = ['npm', 'pnpm', 'yarn', 'bun'] as const;
export type PackageManager = (typeof PACKAGE_MANAGERS)[number];

/**
 * The package manager that ran this command, from the `npm_config_user_agent`
 * each of them sets (`pnpm/10.4.0 npm/? node/v24…`); npm when none says.
 */
export function invokingPackageManager(userAgent: string | undefined = process.env.npm_config_user_agent): PackageManager {
  const name = userAgent?.split(' ')[0]?.split('/')[0];
  return PACKAGE_MANAGERS.find((manager) => manager === name) ?? 'npm';
}

/** How `script` of package.json is run with `manager`, as a person types it. */
export function runScript(manager: PackageManager, script: string): string {
  return manager === 'npm' || manager === 'bun' ? `${manager} run ${script}` : `${manager} ${script}`;
}
