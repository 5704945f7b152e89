/** The plc-service app's three commands, for tests and embedding: `plc-service`, `plc-client`, `wamp-router`. */
export { main as clientMain } from "./client-main.js";
export { main as routerMain } from "./router-main.js";
export { main as serviceMain } from "./service-main.js";
