// The conformance App as a module of its own: `gatehouse start` imports it in each worker.
import { conformanceApp } from '../src/app.ts';

export default conformanceApp;
