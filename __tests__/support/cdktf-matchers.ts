import type {} from 'cdktf/lib/testing/adapters/jest';
import { Testing } from 'cdktf';

// cdktf's matchers (toHaveResourceWithProperties, toBeValidTerraform, ...), for the test files that import
// this module; the type import above declares them to TypeScript. Imported where used, not from a jest
// setup file: loading cdktf costs about 0.2 s per test file, and most test files never touch it.
Testing.setupJest();
