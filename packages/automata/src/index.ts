/** @cpppo/automata: composable state machines and regex → DFA for incremental parsing. */
export {};
