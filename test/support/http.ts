/** Responses whose JSON tests read freely. */
export type TestResponse = { json(): Promise<any> } & Response;
