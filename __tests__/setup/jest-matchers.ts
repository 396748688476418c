import type {} from 'cdktf/lib/testing/adapters/jest';
import { Testing } from 'cdktf';

// cdktf's matchers (toHaveResourceWithProperties, toBeValidTerraform, ...) on every test file; the type
// import above declares them to TypeScript.
Testing.setupJest();
