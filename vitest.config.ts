import { defineConfig } from "vitest/config";

// Four projects: `npx vitest run --project unit` runs in seconds with no server;
// integration starts PostgreSQL and an S3 server (and talks to the API emulators);
// e2e runs the built CLI as a user would; hostile builds bad input and unlucky
// operators' situations at test time. `npm test` runs all four.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    setupFiles: ["test/harness/cleanup.ts"],
    projects: [
      { extends: true, test: { name: "unit", include: ["test/unit/**/*.test.ts"] } },
      { extends: true, test: { name: "integration", include: ["test/integration/**/*.test.ts"], globalSetup: ["test/harness/global-setup.ts"] } },
      { extends: true, test: { name: "e2e", include: ["test/e2e/**/*.test.ts"] } },
      { extends: true, test: { name: "hostile", include: ["test/hostile/**/*.test.ts"] } },
    ],
  },
});
