import { ApplicationFailure } from '@temporalio/common';
import { MEDIA_SERVER_SIZES } from '../../db/apps';
import { ownerMark } from '../../lib/inventory';
import type { ActivityDeps } from '../deps';
import { cloudCall } from '../support/cloud-errors';
import { pollUntil } from '../support/poll';
import type { MediaServerRef } from './records';
import { unseal } from './sealed';

/** The pool flag the media-server manager reads from a VM's context. */
export const POOL_CONTEXT_KEY = 'mediaserver.pool';

/** Media-server VMs: created with the app's TURN/STUN/QoS settings, powered on, put in and out of the pool. */
export function createAppMediaServerActivities({ db, cloud, config }: ActivityDeps) {
  /** The VM's size and configuration (upstream's `mediaserver.*` keys); the TURN password is opened only here. */
  async function mediaServerSpec(appId: string) {
    const app = await db.selectFrom('apps').selectAll().where('id', '=', appId).executeTakeFirstOrThrow();
    const context: Record<string, string> = {
      // Owned by the app, so the orphan sweeper can tell this deployment's media servers apart.
      ...ownerMark(config.WORKFLOW_ID_PREFIX, { resourceType: 'app', resourceId: app.id, projectId: app.project_id }),
      'mediaserver.app-id': app.id,
      'mediaserver.turn-server.activate': String(app.turn_server_activate),
      'mediaserver.stun-server.activate': String(app.stun_server_activate),
      [POOL_CONTEXT_KEY]: 'active',
    };
    if (app.turn_server_activate && app.turn_server_url) {
      context['mediaserver.turn-server.url'] = app.turn_server_url;
      context['mediaserver.turn-server.username'] = app.turn_server_username ?? '';
      context['mediaserver.turn-server.password'] = app.turn_password_sealed ? unseal(config, 'turnPassword', app.turn_password_sealed) : '';
    }
    if (app.stun_server_activate && app.stun_server_ip) {
      context['mediaserver.stun-server.address'] = app.stun_server_ip;
      context['mediaserver.stun-server.port'] = app.stun_server_port ?? '';
    }
    if (app.quality_of_service) context['mediaserver.qos.minimum-bandwidth'] = app.quality_of_service;
    return { size: MEDIA_SERVER_SIZES[app.flavor], context };
  }

  return {
    /** Creates the media server's VM, sized by the app's flavor; the client token makes a retry return the same VM. */
    async createMediaServerVm({ appId, hostname, clientToken }: MediaServerRef & { clientToken: string }): Promise<string> {
      const { size, context } = await mediaServerSpec(appId);
      const vm = await cloudCall(() => cloud.createVm({ clientToken, name: hostname, ...size, context }));
      await db.updateTable('app_media_servers').set({ vm_id: vm.id }).where('app_id', '=', appId).where('hostname', '=', hostname).execute();
      return vm.id;
    },

    /** Powers the VM on once built and waits until it runs with a floating IP (its external address). */
    async waitForMediaServer(vmId: string): Promise<{ floatingIp: string }> {
      return pollUntil(
        async () => {
          const vm = await cloudCall(() => cloud.getVm(vmId));
          if (vm.state === 'error' || vm.state === 'deleted') {
            throw ApplicationFailure.nonRetryable(`VM ${vmId} is ${vm.state}${vm.error ? `: ${vm.error}` : ''}`, 'VmFailed');
          }
          if (vm.state === 'stopped') await cloudCall(() => cloud.startVm(vmId));
          if (vm.state === 'running' && vm.addresses.external) return { floatingIp: vm.addresses.external };
          return undefined;
        },
        config.CLOUD_POLL_MS,
        () => `waiting for VM ${vmId} to run with a floating IP`,
      );
    },

    /** Tells the media-server manager (through the VM's context) whether the server takes new sessions. */
    async registerMediaServer({ vmId, active }: { vmId: string; active: boolean }): Promise<void> {
      // The context's other keys stay as they are: an update merges.
      await cloudCall(() => cloud.updateVm(vmId, { context: { [POOL_CONTEXT_KEY]: active ? 'active' : 'inactive' } }));
    },
  };
}
