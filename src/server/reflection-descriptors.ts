import { type DescFile, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { PackageDefinition } from "@grpc/proto-loader";

function withDependencies(file: DescFile, into: Map<string, DescFile>): void {
  if (into.has(file.name)) return;
  for (const dependency of file.dependencies) withDependencies(dependency, into);
  into.set(file.name, file);
}

/**
 * The package definition @grpc/reflection reads, built from generated descriptors (with their
 * imports): it only reads `fileDescriptorProtos` from each entry.
 */
export function reflectionPackageDefinition(files: DescFile[]): PackageDefinition {
  const all = new Map<string, DescFile>();
  for (const file of files) withDependencies(file, all);
  const fileDescriptorProtos = [...all.values()].map((file) =>
    Buffer.from(toBinary(FileDescriptorProtoSchema, file.proto)),
  );
  return {
    descriptors: {
      format: "Protocol Buffer 3 DescriptorProto",
      type: {},
      fileDescriptorProtos,
      serialize: () => Buffer.alloc(0),
      deserialize: () => ({}),
    },
  };
}
