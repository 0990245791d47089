import { main } from "./app/main";

export = main();
