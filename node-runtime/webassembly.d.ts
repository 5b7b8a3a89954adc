// The WebAssembly JS API as Node 24 (V8) provides it. TypeScript ships these types only in
// lib.dom, which this repo does not load (tsconfig `lib: ["es2024"]`, @types/node has none), so we
// declare the part the node runtime uses. If lib.dom is ever added, delete this file.
declare namespace WebAssembly {
  type ImportValue = ExportValue | number | bigint;
  type ExportValue = ((...args: never[]) => unknown) | Global | Memory | Table;
  type ModuleImports = Record<string, ImportValue>;
  type Imports = Record<string, ModuleImports>;
  type Exports = Record<string, ExportValue>;
  type ImportExportKind = 'function' | 'global' | 'memory' | 'table' | 'tag';
  type ValueType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128' | 'anyfunc' | 'externref';

  interface ModuleExportDescriptor { kind: ImportExportKind; name: string }
  interface ModuleImportDescriptor { kind: ImportExportKind; module: string; name: string }

  class Module {
    constructor(bytes: BufferSource);
    static exports(module: Module): ModuleExportDescriptor[];
    static imports(module: Module): ModuleImportDescriptor[];
    static customSections(module: Module, sectionName: string): ArrayBuffer[];
  }

  class Instance {
    constructor(module: Module, importObject?: Imports);
    readonly exports: Exports;
  }

  interface MemoryDescriptor { initial: number; maximum?: number; shared?: boolean }
  class Memory {
    constructor(descriptor: MemoryDescriptor);
    readonly buffer: ArrayBuffer;
    grow(delta: number): number;
  }

  interface GlobalDescriptor { value: ValueType; mutable?: boolean }
  class Global {
    constructor(descriptor: GlobalDescriptor, v?: unknown);
    value: unknown;
    valueOf(): unknown;
  }

  interface TableDescriptor { element: 'anyfunc' | 'externref'; initial: number; maximum?: number }
  class Table {
    constructor(descriptor: TableDescriptor, value?: unknown);
    readonly length: number;
    get(index: number): unknown;
    set(index: number, value?: unknown): void;
    grow(delta: number, value?: unknown): number;
  }

  class CompileError extends Error {}
  class LinkError extends Error {}
  class RuntimeError extends Error {}

  interface WebAssemblyInstantiatedSource { instance: Instance; module: Module }

  function compile(bytes: BufferSource): Promise<Module>;
  function validate(bytes: BufferSource): boolean;
  function instantiate(bytes: BufferSource, importObject?: Imports): Promise<WebAssemblyInstantiatedSource>;
  function instantiate(module: Module, importObject?: Imports): Promise<Instance>;
}

type BufferSource = ArrayBufferView | ArrayBuffer;
