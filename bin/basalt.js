#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx), so `npm install && npm start` needs no build step.
import { config as loadDotenv } from 'dotenv';
import { register } from 'tsx/esm/api';

loadDotenv({ quiet: true });
register();
await import('../src/main.ts');
