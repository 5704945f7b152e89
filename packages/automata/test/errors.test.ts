import { CpppoError, defineError, InvalidArgumentError, NonTerminalError, RegexError } from "../src/index.js";

describe("one error model", () => {
  class ConfigError extends defineError("ERR_TEST_CONFIG", "ConfigError") {}

  it("defineError gives a named, coded CpppoError with a cause", () => {
    const cause = new Error("disk");
    const error = new ConfigError("cannot read the file", { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(CpppoError);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.name).toBe("ConfigError");
    expect(error.code).toBe("ERR_TEST_CONFIG");
    expect(error.message).toBe("cannot read the file");
    expect(error.cause).toBe(cause);
    expect(ConfigError.code).toBe("ERR_TEST_CONFIG");
    expect(ConfigError.name).toBe("ConfigError");
    expect(String(error)).toBe("ConfigError: cannot read the file");
  });

  it("instanceof checks the code's brand, so a duplicate install's class matches and another code does not", () => {
    // A second copy of the package defines the same class again: a distinct constructor, the same code.
    const Duplicate = defineError("ERR_TEST_CONFIG", "ConfigError");
    const other = new (defineError("ERR_TEST_OTHER", "OtherError"))("x");
    expect(new Duplicate("x")).toBeInstanceOf(ConfigError);
    expect(new ConfigError("x")).toBeInstanceOf(Duplicate);
    expect(other).toBeInstanceOf(CpppoError);
    expect(other).not.toBeInstanceOf(ConfigError);
    expect(new InvalidArgumentError("x")).not.toBeInstanceOf(RegexError);
    expect(new Error("plain")).not.toBeInstanceOf(CpppoError);
    expect({ code: "ERR_TEST_CONFIG" }).not.toBeInstanceOf(ConfigError);
  });

  it("errors with fields of their own declare their code statically", () => {
    const error = new NonTerminalError({
      offset: 3,
      symbol: 65,
      excerpt: "61 62 63 | 41",
      statePath: ["M", "a"],
    });
    expect(NonTerminalError.code).toBe("ERR_AUTOMATA_NON_TERMINAL");
    expect(error.code).toBe(NonTerminalError.code);
    expect(error).toBeInstanceOf(NonTerminalError);
    expect(error).not.toBeInstanceOf(InvalidArgumentError);
    expect(CpppoError.code).toBeUndefined();
  });
});
