export { type Figure, median, round, type Sample, summarize, table } from './figures.js';
export { ec2Fleet, type FleetOptions, openstackFleet } from './fleet.js';
export { type LoopIoOptions, loopIo } from './loop-io.js';
export { admissionTimes, fleetLowerBoundMs, phaseLowerBoundMs, type Step } from './lower-bound.js';
export { moveBench } from './move.js';
export { PACKAGE_BENCHES, type PackageBench, packageBench, startup } from './package-benches.js';
