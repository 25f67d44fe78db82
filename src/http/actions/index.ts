export { ActionError } from "./action-error.ts";
export { defineAction, type ActionContext, type ActionDefinition } from "./define-action.ts";
export { MAX_BODY_BYTES, registerActions, type ActionsDeps } from "./register-actions.ts";
