// The API client as Svelte context behind typed accessors: App provides it, views read it.
import { createContext } from 'svelte';
import type { WorkbenchClient } from './api/workbench-client';

const [getApi, setApi] = createContext<WorkbenchClient>();

export { getApi, setApi };
