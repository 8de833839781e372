import type { Selectable } from 'kysely';
import { clusterDn, clusterLabel, clusterResource, type ClusterNodesTable, type ClusterProductsTable, type ClusterServicesTable, type ClustersTable } from '../../db/clusters';
import { BASE_PATH } from './openapi';

type ClusterRow = Selectable<ClustersTable>;

const pathOf = (row: ClusterRow) => ({ owner: row.owner_name, product: row.product, version: row.version, number: row.number });

/** The cluster's URI: `/bigdata/api/v1/clusters/alice/reference/1.0.0/3`. */
export const clusterUri = (row: ClusterRow) => `${BASE_PATH}/clusters/${clusterLabel(pathOf(row))}`;

/** Upstream's `{result, uri, data: {name, dn, status}}`, with what the platform adds to data. */
export function clusterView(row: ClusterRow) {
  const resource = clusterResource(row.id);
  return {
    result: 'success' as const,
    uri: clusterUri(row),
    data: {
      name: row.dnsname,
      dn: clusterDn(pathOf(row)),
      status: row.status,
      id: row.number,
      user: row.owner_name,
      product: row.product,
      version: row.version,
      ...(row.error ? { error: row.error } : {}),
      history: row.history.map((h) => ({ status: h.status, at: new Date(h.at).toISOString() })),
      resource,
      operations: `/v1/operations?resource=${resource}`,
    },
  };
}

/**
 * A node as upstream listed it, plus its address. simcloud gives a pod one IPv4 address: it is
 * the address of the node's first network; other networks have none.
 */
export function nodeView(cluster: ClusterRow, node: Selectable<ClusterNodesTable>) {
  return {
    ...node.properties,
    dn: `${clusterDn(pathOf(cluster))}/nodes/${node.name}`,
    name: node.name,
    docker_image: node.docker_image,
    cpu: node.cpu,
    mem: node.mem,
    host: node.host,
    address: node.address,
    status: node.status,
    ...(node.error ? { error: node.error } : {}),
    disks: Object.entries(node.disks).map(([name, settings]) => ({ ...settings, name, host: node.host })),
    networks: Object.entries(node.networks).map(([name, settings], i) => ({ ...settings, name, address: i === 0 ? node.address : null })),
  };
}

/** A service with its nodes, the properties the template gave it, and what the orchestrator step printed for it. */
export function serviceView(cluster: ClusterRow, service: Selectable<ClusterServicesTable>) {
  return {
    ...service.properties,
    dn: `${clusterDn(pathOf(cluster))}/services/${service.name}`,
    name: service.name,
    status: service.status,
    nodes: service.nodes,
    output: service.output,
  };
}

export function productView(row: Selectable<ClusterProductsTable>) {
  return {
    dn: `products/${row.name}/${row.version}`,
    name: row.name,
    version: row.version,
    description: row.description,
    logo_url: row.logo_url,
    templatetype: row.template_type,
  };
}
