/**
 * The Logix symbol type word: a UINT that Logix reports as Symbol object attribute 2 and as a template
 * member's type (Rockwell 1756-PM020, "Symbol Type Attribute"). Bit 15 marks a structure, whose low 12
 * bits are then its Template instance id; otherwise the low byte is the elementary type code. Bits 13–14
 * count array dimensions, bit 12 marks a system tag, bits 8–10 hold a BOOL's bit position in a DINT.
 */
export const SymbolTypeBits = {
  /** Bit 15: a structure; the low 12 bits are its Template instance id. */
  STRUCT: 0x8000,
  /** Bits 13–14: the number of array dimensions (0–3). */
  DIMENSIONS_MASK: 0x6000,
  DIMENSIONS_SHIFT: 13,
  /** The dimension bits of a one-dimensional array. */
  ONE_DIMENSION: 0x2000,
  /** Bit 12: a system tag (programs, routines, the controller's own entries). */
  SYSTEM: 0x1000,
  /** Bits 8–10: a BOOL's bit position within its DINT. */
  BIT_POSITION_MASK: 0x0700,
  BIT_POSITION_SHIFT: 8,
  /** Low 12 bits of a structure's word: its Template instance id. */
  TEMPLATE_ID_MASK: 0x0fff,
  /** Low 8 bits of an elementary word: the type code's low byte (0xC1 BOOL … 0xD0 STRING). */
  ATOMIC_MASK: 0x00ff,
} as const;
