import Foundation
import Testing
import TestSupport
import CAMKit

/// Dataset spec strings: grammar, defaults, errors, and opening every kind.
@Suite struct DataSpecTests {
    @Test func parsesEveryKind() throws {
        let t = try DatasetSpec.parse("tfds:/data/cars196/2.1.0:test")
        #expect(t.kind == .tfds && t.path == "/data/cars196/2.1.0" && t.split == "test")
        let t2 = try DatasetSpec.parse("tfds:/d:test:skip_corrupt:image=image/encoded,bbox=objects/bbox")
        #expect(t2.flags == ["skip_corrupt"])
        #expect(t2.options == ["image": "image/encoded", "bbox": "objects/bbox"])
        let c = try DatasetSpec.parse("stanford-cars:/data/cars:train")
        #expect(c.kind == .stanfordCars && c.split == "train")
        #expect(try DatasetSpec.parse("voc:/v").split == nil)
        #expect(try DatasetSpec.parse("voc:/v:val").split == "val")
        #expect(try DatasetSpec.parse("coco:/c/instances_val2017.json:images=/c/val2017").options["images"] == "/c/val2017")
        #expect(try DatasetSpec.parse("folder:/f").kind == .folder)
        #expect(try DatasetSpec.parse("wsol:/m/CUB/test").path == "/m/CUB/test")
        let home = try DatasetSpec.parse("folder:~/pics").path!
        #expect(!home.hasPrefix("~"))
    }

    @Test func syntheticKeysAndSplit() throws {
        let s = try DatasetSpec.parse("synthetic:seed=3,classes=5,train=100,test=20,size=64:test")
        #expect(s.kind == .synthetic && s.split == "test")
        let c = try s.syntheticConfig()
        #expect(c == SyntheticConfig(seed: 3, classes: 5, trainCount: 100, testCount: 20, size: 64))
        let d = try DatasetSpec.parse("synthetic")
        #expect(try d.syntheticConfig() == SyntheticConfig())
        #expect(d.split == nil)
        #expect(try DatasetSpec.parse("synthetic:test").split == "test")
        #expect(try DatasetSpec.parse("synthetic:min_scale=0.2,max_scale=0.5,noise=0,distractors=0").syntheticConfig().minScale == 0.2)
    }

    @Test(arguments: [
        ("nope:/x", "unknown dataset kind 'nope'"),
        ("tfds", "names no folder"),
        ("tfds::test", "names no folder"),
        ("stanford-cars:/d", "needs a split"),
        ("stanford-cars:/d:val", "splits are train and test"),
        ("coco:/a.json:train", "take no split"),
        ("voc:/v:a:b", "two splits"),
        ("folder:/f:colour=red", "unknown option 'colour'"),
        ("voc:/v:images=/i", "it takes none"),
        ("synthetic:classes=99", "classes must be 2...10"),
        ("synthetic:size=abc", "size must be an integer"),
        ("synthetic:seed=-1", "seed must be a non-negative integer"),
        ("synthetic:min_scale=0.7,max_scale=0.5", "min_scale <= max_scale"),
        ("synthetic:valid", "splits are train and test"),
        ("synthetic:seed=1,seed=2", "given twice"),
        ("synthetic:seed", "splits are train and test"),
        ("folder:/f:=3", "is not key=value"),
        ("tfds:/d::test", "empty segment")
    ])
    func badSpecsSayWhatIsWrong(_ text: String, _ fragment: String) {
        let e = dataError { _ = try DatasetSpec.parse(text) }
        #expect(e?.kind == .badSpec)
        #expect(e?.message.contains(fragment) == true, "\(text): \(e?.message ?? "")")
    }

    @Test func descriptionRoundTrips() throws {
        for text in ["tfds:/d:test:skip_corrupt", "synthetic:classes=4,seed=1:test", "coco:/c.json:images=/i", "stanford-cars:/d:train"] {
            let spec = try DatasetSpec.parse(text)
            #expect(try DatasetSpec.parse(spec.description) == spec)
        }
    }

    @Test func opensEveryFixture() throws {
        let root = DataExpected.url("").path
        let cases: [(String, Int)] = [
            ("tfds:\(root)/tfds/cars196/2.1.0:test", 3),
            ("tfds:\(root)/tfds/cars196/2.1.0", 5),
            ("tfds:\(root)/tfds-corrupt/cars196/2.1.0:test:skip_corrupt", 2),
            ("stanford-cars:\(root)/stanford-cars:train", 5),
            ("stanford-cars:\(root)/stanford-cars:test:annotations=\(root)/stanford-cars/anno_test.csv", 3),
            ("voc:\(root)/voc:test", 2),
            ("coco:\(root)/coco/instances.json", 3),
            ("folder:\(root)/folder", 3),
            ("wsol:\(root)/wsol", 3),
            ("synthetic:train=10,test=4,size=48:test", 4)
        ]
        for (text, count) in cases {
            let ds = try DatasetSpec.parse(text).open()
            #expect(ds.count == count, "\(text)")
        }
    }
}
