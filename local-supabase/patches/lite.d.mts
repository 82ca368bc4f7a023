export declare const PATCHES: Array<{ id: string; file: string; why: string; find: string; replace: string }>;
export declare function missingPatches(dir?: string): string[];
export declare function applyPatches(dir?: string): string[];
