import { Command, InvalidArgumentError, Option } from "commander";
import { LAZY_VERBS } from "./verbs.js";
import { startServer } from "../serve/start.js";

const port = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError("expected a port number from 0 to 65535");
  return n;
};

/** `serve`: the local web page for map maintainers and request owners. */
export function registerServeCommand(program: Command): void {
  program
    .command("serve")
    .description(LAZY_VERBS.serve)
    .option("--port <n>", "port to listen on (0: any free port)", port, 8731)
    .option("--host <address>", "address to listen on; anything but loopback is said loudly", "127.0.0.1")
    .addOption(new Option("-c, --config <file>", "config file (default: ./straymap.yaml)"))
    .action((o: { port: number; host: string; config?: string }) => startServer({ configFile: o.config, port: o.port, host: o.host }));
}
