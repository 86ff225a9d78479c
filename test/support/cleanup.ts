import { removeDataDirs } from './server.js';

// Registered after each suite's own afterAll hooks (which stop its servers and databases).
afterAll(() => removeDataDirs());
