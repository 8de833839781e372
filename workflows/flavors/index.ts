// Workflows of the flavor catalog across regions (FIWARE flavor-sync). Only workflow functions are exported here.
export { installFlavor, deleteFlavor, reconcileFlavors } from './catalog';
export type { FlavorInput, InstallFlavorInput, ReconcileResult } from './catalog';
export { createRegionFlavor, deleteRegionFlavor } from './region';
export type { RegionFlavorInput, RegionFlavorSpec } from './region';
