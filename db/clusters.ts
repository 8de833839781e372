/** Tables of the BigData PaaS products and clusters domain (placeholder until the domain lands). */
export interface ClusterTables {}
