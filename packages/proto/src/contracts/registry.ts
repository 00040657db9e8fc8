import { readFileSync } from "node:fs";
import { createFileRegistry, fromBinary, type DescExtension } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";

/** Path of the `buf build` descriptor set: every contract with its options, for reflection too. */
export const DESCRIPTOR_SET_PATH = new URL("../../descriptors.binpb", import.meta.url).pathname;

/** Every contract of the mesh, with its options (REST rules, call policies), read once. */
export const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, readFileSync(DESCRIPTOR_SET_PATH)));

export function extension(name: string): DescExtension {
  const ext = registry.getExtension(name);
  if (!ext) throw new Error(`extension ${name} missing from the descriptor set`);
  return ext;
}
