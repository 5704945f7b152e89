/**
 * The Logix Template object 0x6C (1756-PM020 "Template object"): one instance per structure type (the built-in
 * STRING and every UDT), with attributes 1 structure handle, 2 member count, 3 (a UINT, see below), 4 definition size
 * in 32-bit words and 5 structure size, and Read Template (0x4C) returning the member definitions (codec `encodeTemplateDefinition`).
 */
import {
  encodeTemplateDefinition,
  GeneralStatus,
  LogixExtendedStatus,
  LogixService,
  type ReadTemplateReply,
  type ReadTemplateRequest,
  sizeOfTemplateDefinition,
  TEMPLATE_CLASS,
  UDINT,
  UINT,
  Writer,
} from "@cpppo/cip-codec";
import { ReplyService } from "../core/reply-service.js";
import type { TagDataType, TypeRegistry } from "../tags/types.js";
import { CipClass, CipInstance, valueAttribute } from "./model.js";

/**
 * Bytes Logix adds to the definition when it reports its size in words: clients read `words × 4 − 23` (pycomm3
 * uses −21, st-ethernet-ip −16) bytes, and the controller answers with the definition up to its end.
 */
const DEFINITION_OVERHEAD = 23;

/** One template instance: the structure type and its definition bytes, encoded once. */
export class TemplateInstance extends CipInstance {
  readonly type: TagDataType;
  /** Read Template data: member infos and NUL-terminated names. */
  readonly definition: Uint8Array;

  /** The Template instance describing structure `type`. */
  constructor(type: TagDataType) {
    super(TEMPLATE_CLASS, type.templateId as number);
    this.type = type;
    const template = type.template as NonNullable<TagDataType["template"]>;
    const w = new Writer(sizeOfTemplateDefinition(template));
    encodeTemplateDefinition(w, template);
    this.definition = w.finish().slice();
    const words = Math.ceil((this.definition.length + DEFINITION_OVERHEAD) / 4);
    this.add(valueAttribute(1, UINT, () => type.structureHandle as number));
    this.add(valueAttribute(2, UINT, () => template.members.length));
    // pylogix asks for attributes 4, 3, 2, 1 and reads the member count at a fixed offset, so attribute 3 must be a
    // UINT: the structure handle is given (1756-PM020 documents no meaning for it).
    this.add(valueAttribute(3, UINT, () => type.structureHandle as number));
    this.add(valueAttribute(4, UDINT, () => words));
    this.add(valueAttribute(5, UDINT, () => type.size));
  }
}

/** The Template class: an instance per structure type of `types`, made on first use (UDTs added later included). */
export class TemplateClass extends CipClass {
  readonly #types: TypeRegistry;

  /** The class over the structures `types` holds now or later. */
  constructor(types: TypeRegistry) {
    super(TEMPLATE_CLASS, "Template", 1, [LogixService.codes.readTag]);
    this.#types = types;
  }

  override instance(id: number): CipInstance | undefined {
    if (id === 0) return super.instance(0);
    const made = this.instances.get(id);
    if (made) return made;
    const type = this.#types.byTemplateId(id);
    return type ? this.add(new TemplateInstance(type)) : undefined;
  }

  override maxInstance(): number {
    const all = this.#types.structures();
    return all.length > 0 ? ((all[all.length - 1] as TagDataType).templateId as number) : 0;
  }

  override instanceCount(): number {
    return this.#types.structures().length;
  }

  /**
   * Answers Read Template: `bytes` bytes of the definition from `offset`, at most `limit` of them; 0x06 when the
   * limit cut the answer short, 0xFF/0x2105 for an offset past the end.
   */
  read(req: ReadTemplateRequest, instance: TemplateInstance, limit: number): ReadTemplateReply {
    const def = instance.definition;
    if (req.offset > def.length || (req.offset === def.length && def.length > 0))
      return {
        kind: "readTemplate",
        service: ReplyService.readTag,
        generalStatus: GeneralStatus.codes.generalError,
        extStatus: [LogixExtendedStatus.codes.beyondEndOfObject],
        data: new Uint8Array(0),
      };
    const wanted = Math.min(req.bytes, def.length - req.offset);
    const sent = Math.min(wanted, limit);
    return {
      kind: "readTemplate",
      service: ReplyService.readTag,
      generalStatus: sent < wanted ? GeneralStatus.codes.partialTransfer : 0,
      extStatus: [],
      data: def.subarray(req.offset, req.offset + sent),
    };
  }
}
