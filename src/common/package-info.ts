import { readFileSync } from 'fs';
import { join } from 'path';

// package.json sits two levels up from both src/common (tests) and dist/common (the image copies it too).
export const PACKAGE = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
  name: string;
  version: string;
};
