import Foundation
import Testing
import TestSupport
import CAMKit

/// Folder (CSV / JSON / class folders), Pascal VOC, COCO and wsolevaluation readers.
@Suite struct DataAnnotatedTests {
    @Test func vocFixture() throws {
        let ds = try AnnotatedImageDataset.voc(DataExpected.url("voc"), split: "test")
        #expect(ds.classNames == AnnotatedImageDataset.vocClasses)
        let expected = DataExpected.doc.voc
        #expect(ds.count == expected.count)
        for (i, e) in expected.enumerated() { try expectSample(try ds.sample(at: i), e, tolerance: 1e-12) }
        // Without a split: every annotation, sorted.
        let all = try AnnotatedImageDataset.voc(DataExpected.url("voc"))
        #expect(all.entries.map(\.id) == ["2007_000001", "2007_000002"])
    }

    @Test func cocoFixture() throws {
        let ds = try AnnotatedImageDataset.coco(DataExpected.url("coco/instances.json"))
        #expect(ds.classNames == ["person", "car"])  // sorted by category id
        let expected = DataExpected.doc.coco
        #expect(ds.count == expected.count)
        for (i, e) in expected.enumerated() { try expectSample(try ds.sample(at: i), e, tolerance: 1e-12) }
    }

    @Test func folderCSVAndJSONAgree() throws {
        let csv = try AnnotatedImageDataset.folder(DataExpected.url("folder"))
        let json = try AnnotatedImageDataset.folder(DataExpected.url("folder"), annotations: DataExpected.url("folder/annotations.json"))
        let expected = DataExpected.doc.folder
        #expect(csv.classNames == ["sedan", "coupe"])
        #expect(json.classNames == ["sedan", "coupe"])
        for (i, e) in expected.enumerated() {
            try expectSample(try csv.sample(at: i), e)  // repr() of the floats: exact
            try expectSample(try json.sample(at: i), e)
        }
        #expect(try csv.sample(at: 1).boxes.count == 2)
    }

    @Test func wsolFixture() throws {
        let ds = try AnnotatedImageDataset.wsol(DataExpected.url("wsol"))
        #expect(ds.classNames == ["001.Sedan", "002.Coupe"])
        let expected = DataExpected.doc.wsol
        #expect(ds.count == expected.count)
        for (i, e) in expected.enumerated() { try expectSample(try ds.sample(at: i), e, tolerance: 1e-12) }
        #expect(try ds.sample(at: 1).boxes.count == 2)
    }

    @Test func classFoldersWithoutAnnotations() throws {
        let tmp = try Fixtures.temporaryDirectory("camkit-data-folders")
        defer { try? FileManager.default.removeItem(at: tmp) }
        let fm = FileManager.default
        for (cls, files) in [("b_cls", ["x.jpg"]), ("a_cls", ["q.jpg", "p.jpg"])] {
            try fm.createDirectory(at: tmp.appendingPathComponent(cls), withIntermediateDirectories: true)
            for f in files {
                try fm.copyItem(at: DataExpected.url("folder/images/a.jpg"), to: tmp.appendingPathComponent("\(cls)/\(f)"))
            }
        }
        let ds = try AnnotatedImageDataset.folder(tmp)
        #expect(ds.classNames == ["a_cls", "b_cls"])
        #expect(ds.entries.map(\.id) == ["a_cls/p", "a_cls/q", "b_cls/x"])
        #expect(ds.entries.map(\.label) == [0, 0, 1])
        #expect(try ds.sample(at: 2).boxes.isEmpty)
    }

    @Test func folderCSVWithPixelBoxesAndErrors() throws {
        let tmp = try Fixtures.temporaryDirectory("camkit-data-folder")
        defer { try? FileManager.default.removeItem(at: tmp) }
        try FileManager.default.copyItem(at: DataExpected.url("folder/images/a.jpg"), to: tmp.appendingPathComponent("a.jpg"))  // 64x40
        let csv = tmp.appendingPathComponent("annotations.csv")
        try "file,class_name,x0,y0,x1,y1\na.jpg,dog,16,10,48,30\n\"b.jpg\",cat,,,,\n".write(to: csv, atomically: true, encoding: .utf8)
        let ds = try AnnotatedImageDataset.folder(tmp)
        #expect(ds.classNames == ["cat", "dog"])
        let s = try ds.sample(at: 0)
        #expect(s.label == 1 && s.id == "a")
        #expect(s.boxes == [BoundingBox(ymin: 0.25, xmin: 0.25, ymax: 0.75, xmax: 0.75)])
        let missing = dataError { _ = try ds.sample(at: 1) }
        #expect(missing?.kind == .missingFile)
        #expect(missing?.path?.hasSuffix("b.jpg") == true)

        try "file,class_name,x0,y0,x1,y1\na.jpg,dog,16,10,80,30\n".write(to: csv, atomically: true, encoding: .utf8)
        let outside = dataError { _ = try AnnotatedImageDataset.folder(tmp).sample(at: 0) }
        #expect(outside?.kind == .badAnnotation)
        #expect(outside?.record == 2)

        try "file,x0,y0,x1,y1\na.jpg,1,2,3,4\n".write(to: csv, atomically: true, encoding: .utf8)
        let noClass = dataError { _ = try AnnotatedImageDataset.folder(tmp) }
        #expect(noClass?.kind == .badFormat)
        #expect(noClass?.message.contains("'label' or 'class_name'") == true)

        try "file,label,x0,y0,x1,y1\na.jpg,zero,1,2,3,4\n".write(to: csv, atomically: true, encoding: .utf8)
        let badLabel = dataError { _ = try AnnotatedImageDataset.folder(tmp) }
        #expect(badLabel?.record == 2)
    }

    @Test func vocAndCOCOErrorsAreNamed() throws {
        let tmp = try Fixtures.temporaryDirectory("camkit-data-voc")
        defer { try? FileManager.default.removeItem(at: tmp) }
        let ann = tmp.appendingPathComponent("Annotations")
        try FileManager.default.createDirectory(at: ann, withIntermediateDirectories: true)
        try "<annotation><object><name>car</name><bndbox><xmin>1</xmin></bndbox></object>".write(
            to: ann.appendingPathComponent("x.xml"), atomically: true, encoding: .utf8)
        let malformed = dataError { _ = try AnnotatedImageDataset.voc(tmp) }
        #expect(malformed?.kind == .badFormat)
        #expect(malformed?.path?.hasSuffix("x.xml") == true)
        try "<annotation><object><name>car</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>9</xmax></bndbox></object></annotation>".write(
            to: ann.appendingPathComponent("x.xml"), atomically: true, encoding: .utf8)
        let incomplete = dataError { _ = try AnnotatedImageDataset.voc(tmp) }
        #expect(incomplete?.message.contains("incomplete bndbox") == true)

        let coco = tmp.appendingPathComponent("bad.json")
        try
            #"{"images":[{"id":1,"file_name":"a.jpg"}],"annotations":[{"id":7,"image_id":1,"category_id":9,"bbox":[0,0,1,1]}],"categories":[{"id":1,"name":"a"}]}"#
            .write(to: coco, atomically: true, encoding: .utf8)
        let unknown = dataError { _ = try AnnotatedImageDataset.coco(coco) }
        #expect(unknown?.kind == .badAnnotation)
        #expect(unknown?.message.contains("category_id 9") == true)
    }

    @Test func wsolErrorsAreNamed() throws {
        let tmp = try Fixtures.temporaryDirectory("camkit-data-wsol")
        defer { try? FileManager.default.removeItem(at: tmp) }
        for f in ["image_ids.txt", "class_labels.txt", "image_sizes.txt"] {
            try FileManager.default.copyItem(at: DataExpected.url("wsol/\(f)"), to: tmp.appendingPathComponent(f))
        }
        // s1.jpg is 50x42: x1 = 60 is outside.
        try "001.Sedan/s1.jpg,5,4,60,39\n".write(to: tmp.appendingPathComponent("localization.txt"), atomically: true, encoding: .utf8)
        let e = dataError { _ = try AnnotatedImageDataset.wsol(tmp) }
        #expect(e?.kind == .badAnnotation)
        #expect(e?.record == 1)
        #expect(e?.path?.hasSuffix("localization.txt") == true)
        try "001.Sedan/s1.jpg,5,4\n".write(to: tmp.appendingPathComponent("localization.txt"), atomically: true, encoding: .utf8)
        let short = dataError { _ = try AnnotatedImageDataset.wsol(tmp) }
        #expect(short?.kind == .badFormat)
    }

    /// An annotation naming a file outside the dataset (`../../etc/passwd`, `/etc/passwd`) is refused
    /// before anything is opened (#20).
    @Test func imagePathsOutsideTheDatasetAreRefused() throws {
        for id in ["../../etc/passwd", "/etc/passwd", "001.Sedan/../../x.jpg"] {
            let tmp = try Fixtures.temporaryDirectory("camkit-data-escape")
            defer { try? FileManager.default.removeItem(at: tmp) }
            try "\(id)\n".write(to: tmp.appendingPathComponent("image_ids.txt"), atomically: true, encoding: .utf8)
            try "\(id),0\n".write(to: tmp.appendingPathComponent("class_labels.txt"), atomically: true, encoding: .utf8)
            try "\(id),10,10\n".write(to: tmp.appendingPathComponent("image_sizes.txt"), atomically: true, encoding: .utf8)
            try "\(id),1,1,5,5\n".write(to: tmp.appendingPathComponent("localization.txt"), atomically: true, encoding: .utf8)
            let e = dataError { _ = try AnnotatedImageDataset.wsol(tmp) }
            #expect(e?.kind == .badAnnotation && e?.record == 1 && e?.path?.hasSuffix("image_ids.txt") == true, "\(id)")
            #expect(e?.message.contains("leaves the dataset folder") == true, "\(id)")
        }
        let tmp = try Fixtures.temporaryDirectory("camkit-data-escape-coco")
        defer { try? FileManager.default.removeItem(at: tmp) }
        let coco = tmp.appendingPathComponent("instances.json")
        try
            #"{"images":[{"id":1,"file_name":"../a.jpg"}],"annotations":[{"id":7,"image_id":1,"category_id":1,"bbox":[0,0,1,1]}],"categories":[{"id":1,"name":"a"}]}"#
            .write(to: coco, atomically: true, encoding: .utf8)
        #expect(dataError { _ = try AnnotatedImageDataset.coco(coco) }?.message.contains("leaves the dataset folder") == true)
    }

    @Test func sizeInAnnotationMustMatchTheFile() throws {
        let tmp = try Fixtures.temporaryDirectory("camkit-data-size")
        defer { try? FileManager.default.removeItem(at: tmp) }
        try FileManager.default.copyItem(at: DataExpected.url("folder/images/a.jpg"), to: tmp.appendingPathComponent("a.jpg"))
        try #"{"classes":["x"],"samples":[{"file":"a.jpg","label":0,"boxes":[[0,0,1,1]],"width":65,"height":40}]}"#
            .write(to: tmp.appendingPathComponent("annotations.json"), atomically: true, encoding: .utf8)
        let e = dataError { _ = try AnnotatedImageDataset.folder(tmp).sample(at: 0) }
        #expect(e?.kind == .badAnnotation)
        #expect(e?.message.contains("65x40") == true)
    }
}
