/** cpppo 5.2.5's printed forms of what the test simulator answers, for golden tests. */
/** cpppo's block for the simulator's default identity (a 1756-L61), as `enip_client -i` prints it. */
export function identityBlock(port: number): string[] {
  return [
    `List Identity  0 from ('127.0.0.1', ${port}): {`,
    "    'count':                        1,",
    "    'item[0].type_id':              12,",
    "    'item[0].length':               54,",
    "    'item[0].identity_object.version': 1,",
    "    'item[0].identity_object.sin_family': 2,",
    `    'item[0].identity_object.sin_port': ${port},`,
    "    'item[0].identity_object.sin_addr': '127.0.0.1',",
    "    'item[0].identity_object.vendor_id': 1,",
    "    'item[0].identity_object.device_type': 14,",
    "    'item[0].identity_object.product_code': 54,",
    "    'item[0].identity_object.product_revision': 2836,",
    "    'item[0].identity_object.status_word': 12640,",
    "    'item[0].identity_object.serial_number': 7079450,",
    "    'item[0].identity_object.product_name': '1756-L61/B LOGIX5561',",
    "    'item[0].identity_object.state': 255,",
    "}",
  ];
}
