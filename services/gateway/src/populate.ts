import { ScalarType, type DescField, type DescMessage } from "@bufbuild/protobuf";
import { FeatureSet_FieldPresence } from "@bufbuild/protobuf/wkt";

// Proto3 JSON leaves out empty lists, false and 0, but the official clients' generated models
// require what the spec marks required (e.g. `events` of a v5 read) and raise without it. Strings
// stay out when empty: "" is no valid value of the spec's string enums, which those models check.
const FILLED: Partial<Record<ScalarType, unknown>> = {
  [ScalarType.BOOL]: false,
  [ScalarType.DOUBLE]: 0,
  [ScalarType.FLOAT]: 0,
  [ScalarType.INT32]: 0,
  [ScalarType.UINT32]: 0,
  [ScalarType.SINT32]: 0,
  [ScalarType.FIXED32]: 0,
  [ScalarType.SFIXED32]: 0,
  [ScalarType.INT64]: 0,
  [ScalarType.UINT64]: 0,
  [ScalarType.SINT64]: 0,
  [ScalarType.FIXED64]: 0,
  [ScalarType.SFIXED64]: 0,
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

// Well-known types (Struct, Timestamp…) have their own JSON shapes, never a field-by-field object.
const ownShape = (m: DescMessage) => m.typeName.startsWith("google.protobuf.");

function populateField(f: DescField, json: Record<string, unknown>): void {
  const value = json[f.jsonName];
  switch (f.fieldKind) {
    case "list":
      if (value === undefined) json[f.jsonName] = [];
      else if (f.listKind === "message" && Array.isArray(value)) for (const item of value) populate(f.message, item);
      return;
    case "map":
      if (value === undefined) json[f.jsonName] = {};
      else if (f.mapKind === "message" && isObject(value)) for (const item of Object.values(value)) populate(f.message, item);
      return;
    case "message":
      if (value !== undefined) populate(f.message, value);
      return;
    case "scalar":
      if (value === undefined && f.presence === FeatureSet_FieldPresence.IMPLICIT && f.scalar in FILLED) json[f.jsonName] = FILLED[f.scalar];
      return;
    case "enum":
      return;
  }
}

/** Adds, in place, the lists, maps and implicit numbers and booleans that proto3 JSON left out. */
export function populate(message: DescMessage, json: unknown): void {
  if (!isObject(json) || ownShape(message)) return;
  for (const f of message.fields) populateField(f, json);
}
