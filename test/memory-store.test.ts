import { createMemoryStore } from "../src/store/index.js";
import { describeStoreContract } from "./store-contract.js";

describeStoreContract("memory", (options) => createMemoryStore(options));
