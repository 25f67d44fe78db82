// @ts-check
import js from "@eslint/js";
import inngest from "@inngest/eslint-plugin";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig(
  { ignores: ["node_modules/", ".data/", "coverage/"] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      "@typescript-eslint/switch-exhaustiveness-check": [
        "error",
        { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false },
      ],
      "@typescript-eslint/consistent-type-imports": [
        "error",
        { fixStyle: "inline-type-imports", prefer: "type-imports" },
      ],
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
      ],
    },
  },
  {
    // Inngest's own rules. The plugin ships no flat config (0.0.7), so its recommended
    // rules are spread in by hand; a send that is not awaited loses events, so that one errors.
    files: [
      "src/inngest/**/*.ts",
      "src/actions/**/*.ts",
      "src/webhooks/**/*.ts",
      "inngest.config.ts",
    ],
    plugins: { "@inngest": inngest },
    rules: { ...inngest.configs.recommended.rules, "@inngest/await-inngest-send": "error" },
  },
  {
    files: ["test/**/*.ts"],
    rules: {
      // Fakes implement async interfaces without awaiting anything.
      "@typescript-eslint/require-await": "off",
      // vitest's asymmetric matchers (expect.any, expect.objectContaining) are typed `any`.
      "@typescript-eslint/no-unsafe-assignment": "off",
    },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
