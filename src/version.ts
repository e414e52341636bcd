/** The krs version, reported by `krs --version` and in reports. Keep in step with package.json. */
export const VERSION = '0.1.0';
