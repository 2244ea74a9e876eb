// Flat config: typescript-eslint with type information for every TypeScript file.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

const infrastructure = ["pg", "kafkajs", "ioredis", "fastify", "@kruzhok/postgres", "@kruzhok/messaging", "@kruzhok/http"];

export default tseslint.config(
  { ignores: ["**/node_modules/**", ".local/**", "coverage/**", "**/*.generated.*", "**/generated/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  ...tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "no-console": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/switch-exhaustiveness-check": "error",
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-definitions": "off",
      // Fastify plugins are async by contract even when they register routes synchronously.
      "@typescript-eslint/require-await": "off",
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      "no-restricted-imports": [
        "error",
        { paths: [{ name: "kafkajs", message: "Only packages/messaging imports kafkajs." }] },
      ],
    },
  },
  {
    files: ["packages/messaging/**/*.ts", "test/**/*.ts"],
    rules: { "no-restricted-imports": "off" },
  },
  {
    // Pure domain: decisions take state, commands and `now`; no I/O.
    files: ["services/*/src/domain/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: infrastructure.map((name) => ({ name, message: "domain/ is pure: no I/O imports." })),
          patterns: [{ group: ["**/store/**", "**/http/**", "**/messaging/**"], message: "domain/ is pure." }],
        },
      ],
    },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    ...tseslint.configs.disableTypeChecked,
  },
);
