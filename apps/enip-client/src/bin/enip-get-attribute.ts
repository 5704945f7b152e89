import { runMain } from "../cli.js";
import { main } from "../enip-get-attribute.js";

runMain(main);
