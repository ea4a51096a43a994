// The CAMKit library: one import for every stage (README, Layout). Each stage is also its own
// module, so a tool that needs only some of them (say, images and boxes) can import just those.
@_exported import CAMCore
@_exported import CAMData
@_exported import CAMExplain
@_exported import CAMFaithfulness
@_exported import CAMFormats
@_exported import CAMImaging
@_exported import CAMJobs
@_exported import CAMLocalize
@_exported import CAMModels
@_exported import CAMReport
@_exported import CAMTrain
@_exported import Torch
