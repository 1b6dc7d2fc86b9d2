export * from "./users";
export * from "./sessions";
export * from "./friendships";
export * from "./conversations";
export * from "./messages";
export * from "./events";
export * from "./calls";
