import { toBinary, type DescFile } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { loadSync, type PackageDefinition } from "@grpc/proto-loader";
import { protoPath as healthProtoPath } from "grpc-health-check";

function withDependencies(file: DescFile, into: Map<string, DescFile>): void {
  if (into.has(file.name)) return;
  for (const dependency of file.dependencies) withDependencies(dependency, into);
  into.set(file.name, file);
}

/**
 * The package definition @grpc/reflection reads: the encoded descriptors of our files (from the
 * generated code, with their imports) and of the standard health service.
 */
export function reflectionPackageDefinition(files: DescFile[]): PackageDefinition {
  const all = new Map<string, DescFile>();
  for (const file of files) withDependencies(file, all);
  const fileDescriptorProtos = [...all.values()].map((file) =>
    Buffer.from(toBinary(FileDescriptorProtoSchema, file.proto)),
  );
  const health = loadSync(healthProtoPath);
  // @grpc/reflection reads only `fileDescriptorProtos` from each entry.
  const ours = {
    format: "Protocol Buffer 3 DescriptorProto" as const,
    type: {},
    fileDescriptorProtos,
    serialize: () => Buffer.alloc(0),
    deserialize: () => ({}),
  };
  return { ...health, "pynenc.status.v1": ours };
}
