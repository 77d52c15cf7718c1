// What the API answers, as zod schemas: the OpenAPI document's response bodies, and what each
// reply is serialised through (unknown fields are left out, a value of the wrong type is a 500).
// Each schema is checked against the service type it describes (`exactly`), so a field added to one
// and not the other fails the build rather than vanishing from the answer or the document.
export * from './accounts';
export * from './configuration';
export * from './data';
export * from './health';
export * from './notifications';
export * from './playbooks';
export * from './reports';
export * from './risk-cases';
export * from './segments';
export * from './shared';
export * from './system';
export * from './users';
