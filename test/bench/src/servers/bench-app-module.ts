// The bench App as a module of its own: the container's workers import it by path.
import { benchApp } from '../app.ts';

export default benchApp;
