/** The app's version, read once from package.json (bundled builds inline it through Vite's JSON import). */
import pkg from '../../package.json' with { type: 'json' };

export const APP_VERSION: string = pkg.version;
