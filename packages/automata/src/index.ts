/** @cpppo/automata: composable state machines and regex → DFA for incremental parsing. */
export {
  CollectState,
  type CountOptions,
  CountState,
  collect,
  count,
  type DataReader,
  Decide,
  type DecideTest,
  DecodeState,
  DropState,
  decide,
  decode,
  drop,
  type InputDecoder,
  Machine,
  type MachineOptions,
  machine,
  type NodeKind,
  PassState,
  type RunDecoder,
  StateNode,
  type StateOptions,
  type SymbolBuffer,
  type SymbolSpec,
  state,
  type Target,
} from "./builder.js";
export { type Alphabet, type CompileOptions, compile, Program, resolvePath } from "./compile.js";
export {
  CpppoError,
  type DefinedError,
  defineError,
  InvalidArgumentError,
  LimitError,
  NonTerminalError,
  type ParseLocation,
  ParserStateError,
  RegexError,
} from "./errors.js";
export {
  Framer,
  type LengthPrefixOptions,
  lengthPrefixedFrame,
  u8,
  u16be,
  u16le,
  u32be,
  u32le,
} from "./framer.js";
export { RegexMatcher } from "./matcher.js";
export { type DataTree, Parser, type Status } from "./parser.js";
export { type RegexOptions, regex, utf8Sequences } from "./regex.js";
