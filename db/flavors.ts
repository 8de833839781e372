/** Tables of the FIWARE flavor catalog across regions domain (placeholder until the domain lands). */
export interface FlavorTables {}
