/** Tables of the NUBOMEDIA PaaS apps and media servers domain (placeholder until the domain lands). */
export interface AppTables {}
