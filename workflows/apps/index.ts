// Workflows of the NUBOMEDIA PaaS apps domain: deploy, delete, media-server scaling and pool membership, autoscaling.
export { deployApp, type DeployAppInput } from './deploy-app';
export { deleteApp, type DeleteAppInput } from './delete-app';
export {
  scaleOutMediaServers,
  scaleInMediaServers,
  stopMediaServer,
  startMediaServer,
  type ScaleOutInput,
  type ScaleInInput,
  type MediaServerInput,
} from './media-servers';
export { autoscaleApp, type AutoscaleAppInput } from './autoscale-app';
