/**
 * Runs Argo CD Lua health checks in a real Lua 5.1.5 VM (PUC-Rio Lua compiled to WebAssembly, from the npm
 * package lua-wasm-bindings). Argo CD runs gopher-lua, a Lua 5.1 VM; fengari is Lua 5.3 and wasmoon 5.4, so a
 * script tested there could use what 5.1 lacks (integer division, bitwise operators, goto). Here it cannot.
 */
import { lauxlib, lua, lualib } from 'lua-wasm-bindings/dist/lua.51';

const LUA_OK = 0;
const state = lauxlib.luaL_newstate();
lualib.luaL_openlibs(state);

/** A JSON value as a Lua 5.1 constructor expression (arrays 1-based, as Argo CD converts objects). */
export function toLuaLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  if (typeof value === 'string') return luaString(value);
  if (Array.isArray(value)) return `{${value.map(toLuaLiteral).join(', ')}}`;
  const entries = Object.entries(value as Record<string, unknown>).map(([key, v]) => `[${luaString(key)}] = ${toLuaLiteral(v)}`);
  return `{${entries.join(', ')}}`;
}

/** A Lua 5.1 string literal: every byte outside printable ASCII and the quote and backslash as `\ddd`. */
function luaString(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  let out = '"';
  for (const byte of bytes) out += byte >= 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x5c ? String.fromCharCode(byte) : `\\${byte}`;
  return `${out}"`;
}

/** Compiles `source` as Lua 5.1; the syntax error, or undefined when it compiles. */
export function lua51SyntaxError(source: string): string | undefined {
  const status = lauxlib.luaL_loadstring(state, source);
  const error = status === LUA_OK ? undefined : lua.lua_tostring(state, -1);
  lua.lua_settop(state, 0);
  return error;
}

export interface HealthStatus {
  readonly status: string;
  readonly message: string;
}

/**
 * Runs a health script the way Argo CD does: the live object as the global `obj`, the script's chunk returns
 * a table with `status` and `message`.
 */
export function runHealthCheck(script: string, object: unknown): HealthStatus {
  const setup = `obj = ${toLuaLiteral(object)}`;
  if (lauxlib.luaL_dostring(state, setup) !== LUA_OK) throw new Error(`setting obj failed: ${lua.lua_tostring(state, -1)}`);
  const wrapped = `local result = (function() ${script}\nend)()\nhealth_status = result.status\nhealth_message = result.message`;
  if (lauxlib.luaL_dostring(state, wrapped) !== LUA_OK) {
    const error = lua.lua_tostring(state, -1);
    lua.lua_settop(state, 0);
    throw new Error(`health script failed: ${error}`);
  }
  lua.lua_getglobal(state, 'health_status');
  const status = lua.lua_tostring(state, -1);
  lua.lua_getglobal(state, 'health_message');
  const message = lua.lua_tostring(state, -1) ?? '';
  lua.lua_settop(state, 0);
  return { status, message };
}
