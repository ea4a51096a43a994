import CAMKit
print(CAMKitVersion.string)
