import { Client, Connection } from '@temporalio/client';
import type { Config } from '../lib/config';

export async function connectTemporal(config: Config): Promise<Client> {
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
}
