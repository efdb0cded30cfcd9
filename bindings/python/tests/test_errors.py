"""Error cases through the C ABI: every bad argument reachable from ctypes returns a status and a
message; nothing aborts."""

from __future__ import annotations

import ctypes
import json
import shutil
import threading

import pytest

import textrnn

c_float_p = ctypes.POINTER(ctypes.c_float)
c_size_t = ctypes.c_size_t
SIZE_MAX = ctypes.c_size_t(-1).value
INVALID = textrnn.ERROR_INVALID_ARGUMENT


def last_error(lib) -> str:
    return lib.textrnn_last_error().decode()


@pytest.fixture()
def handle(model):
    return model._model


def floats(n):
    return (ctypes.c_float * max(n, 1))()


# ---- loading


def test_missing_bundle(tmp_path):
    with pytest.raises(textrnn.TextRNNError) as info:
        textrnn.load(tmp_path / "nothing.textrnn")
    assert info.value.status == textrnn.ERROR_IO
    assert "nothing.textrnn/manifest.json" in info.value.message
    assert info.value.status_name == "I/O error"


def test_model_constructor_refuses_a_path(softmax_bundle):
    # Model() takes a handle from load(); a path given to it must not reach the C library.
    for wrong in (str(softmax_bundle), softmax_bundle, None, 0, True):
        with pytest.raises(TypeError, match=r"textrnn\.load\(path\)"):
            textrnn.Model(wrong)
    with textrnn.load(softmax_bundle) as model:
        assert model.labels


def copy_bundle(source, tmp_path):
    target = tmp_path / "copy.textrnn"
    shutil.copytree(source, target)
    return target


def test_damaged_manifest(softmax_bundle, tmp_path):
    bundle = copy_bundle(softmax_bundle, tmp_path)
    (bundle / "manifest.json").write_text('{"format": "textrnn-bundle", "format_version": 1,')
    with pytest.raises(textrnn.TextRNNError) as info:
        textrnn.load(bundle)
    assert info.value.status == textrnn.ERROR_INVALID_BUNDLE
    assert "manifest.json" in info.value.message or "JSON" in info.value.message


def test_manifest_with_wrong_labels(softmax_bundle, tmp_path):
    bundle = copy_bundle(softmax_bundle, tmp_path)
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["labels"] = ["only-one"]
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(textrnn.TextRNNError) as info:
        textrnn.load(bundle)
    assert info.value.status == textrnn.ERROR_INVALID_BUNDLE


def test_truncated_weights(softmax_bundle, tmp_path):
    bundle = copy_bundle(softmax_bundle, tmp_path)
    weights = (bundle / "weights.bin").read_bytes()
    (bundle / "weights.bin").write_bytes(weights[:-10])
    with pytest.raises(textrnn.TextRNNError) as info:
        textrnn.load(bundle)
    assert info.value.status == textrnn.ERROR_INVALID_BUNDLE
    assert "weights.bin" in info.value.message


def test_corrupted_weights(softmax_bundle, tmp_path):
    bundle = copy_bundle(softmax_bundle, tmp_path)
    weights = bytearray((bundle / "weights.bin").read_bytes())
    weights[100] ^= 0xFF
    (bundle / "weights.bin").write_bytes(bytes(weights))
    with pytest.raises(textrnn.TextRNNError) as info:
        textrnn.load(bundle)
    assert info.value.status == textrnn.ERROR_INVALID_BUNDLE
    assert "checksum" in info.value.message


def test_load_null_arguments(lib, softmax_bundle):
    out = ctypes.c_void_p(12345)
    assert lib.textrnn_load(None, ctypes.byref(out)) == INVALID
    assert out.value is None, "out_model is set to NULL on failure"
    assert "bundle_path is NULL" in last_error(lib)
    assert lib.textrnn_load(str(softmax_bundle).encode(), None) == INVALID
    assert "out_model is NULL" in last_error(lib)
    assert lib.textrnn_load(b"", ctypes.byref(out)) == INVALID
    assert lib.textrnn_load(b"\xff\xfe/bundle", ctypes.byref(out)) == INVALID


def test_load_from_memory_errors(lib, softmax_bundle):
    out = ctypes.c_void_p()
    assert lib.textrnn_load_from_memory(None, 10, None, 0, ctypes.byref(out)) == INVALID
    assert "manifest_json is NULL" in last_error(lib)
    manifest = (softmax_bundle / "manifest.json").read_bytes()
    assert lib.textrnn_load_from_memory(manifest, len(manifest), None, 5, ctypes.byref(out)) == INVALID
    assert lib.textrnn_load_from_memory(manifest, len(manifest), None, 0, ctypes.byref(out)) == textrnn.ERROR_INVALID_BUNDLE
    assert lib.textrnn_load_from_memory(None, 0, None, 0, ctypes.byref(out)) == textrnn.ERROR_INVALID_BUNDLE
    assert lib.textrnn_load_from_memory(manifest, SIZE_MAX, None, 0, ctypes.byref(out)) == textrnn.ERROR_LIMIT
    assert lib.textrnn_load_from_memory(manifest, len(manifest), None, 0, None) == INVALID
    assert out.value is None


# ---- information with NULL / out of range


def test_information_on_null(lib):
    assert lib.textrnn_label_count(None) == 0
    assert lib.textrnn_label(None, 0) is None
    assert lib.textrnn_output(None) == textrnn.OUTPUT_SOFTMAX
    assert lib.textrnn_vocabulary_size(None) == 0
    assert lib.textrnn_sequence_length(None) == 0
    lib.textrnn_free(None)


def test_label_out_of_range(lib, handle):
    assert lib.textrnn_label(handle, 2) == b"2"
    assert lib.textrnn_label(handle, 3) is None
    assert lib.textrnn_label(handle, SIZE_MAX) is None


def test_status_strings(lib):
    assert lib.textrnn_status_string(0) == b"ok"
    assert lib.textrnn_status_string(3) == b"invalid bundle"
    assert lib.textrnn_status_string(99) == b"unknown status"
    assert lib.textrnn_status_string(-1) == b"unknown status"


# ---- textrnn_predict


def test_predict_null_model(lib):
    out = floats(3)
    assert lib.textrnn_predict(None, b"t2", 2, out, 3) == INVALID
    assert "model is NULL" in last_error(lib)


def test_predict_capacity_too_small(lib, handle):
    out = floats(3)
    out[0] = -7.0
    assert lib.textrnn_predict(handle, b"t2", 2, out, 2) == INVALID
    assert "capacity" in last_error(lib)
    assert out[0] == -7.0, "output untouched on failure"


def test_predict_null_output(lib, handle):
    assert lib.textrnn_predict(handle, b"t2", 2, None, 3) == INVALID
    assert "probabilities is NULL" in last_error(lib)


def test_predict_null_text(lib, handle):
    out = floats(3)
    assert lib.textrnn_predict(handle, None, 5, out, 3) == INVALID
    assert "text is NULL" in last_error(lib)
    assert lib.textrnn_predict(handle, None, 0, out, 3) == textrnn.OK
    empty = floats(3)
    assert lib.textrnn_predict(handle, b"", 0, empty, 3) == textrnn.OK
    assert list(out) == list(empty)


def test_predict_text_too_long(lib, handle):
    out = floats(3)
    assert lib.textrnn_predict(handle, b"t2", textrnn.MAX_TEXT_BYTES + 1, out, 3) == textrnn.ERROR_LIMIT
    assert "TEXTRNN_MAX_TEXT_BYTES" in last_error(lib)
    assert lib.textrnn_predict(handle, b"t2", SIZE_MAX, out, 3) == textrnn.ERROR_LIMIT


def test_huge_capacity_is_accepted(lib, handle):
    out = floats(3)
    assert lib.textrnn_predict(handle, b"t2", 2, out, SIZE_MAX) == textrnn.OK


# ---- textrnn_predict_ids


def test_predict_ids_bad_ids(model, lib, handle):
    for bad in ([2, 30, 3], [-1], [2, 2**31 - 1]):
        with pytest.raises(textrnn.TextRNNError) as info:
            model.predict_ids(bad)
        assert info.value.status == INVALID
        assert "outside 0..<30" in info.value.message
    with pytest.raises(textrnn.TextRNNError):
        model.predict_ids([2**40])


def test_predict_ids_null(lib, handle):
    out = floats(3)
    assert lib.textrnn_predict_ids(handle, None, 4, out, 3) == INVALID
    assert "ids is NULL" in last_error(lib)
    assert lib.textrnn_predict_ids(handle, None, 0, out, 3) == textrnn.OK
    ids = (ctypes.c_int32 * 2)(2, 3)
    assert lib.textrnn_predict_ids(handle, ids, 2, out, 1) == INVALID
    assert lib.textrnn_predict_ids(handle, ids, 2, None, 3) == INVALID
    assert lib.textrnn_predict_ids(None, ids, 2, out, 3) == INVALID
    assert lib.textrnn_predict_ids(handle, ids, SIZE_MAX, out, 3) == textrnn.ERROR_LIMIT


# ---- textrnn_predict_batch


def batch_args(texts):
    array = (ctypes.c_char_p * len(texts))(*texts)
    sizes = (c_size_t * len(texts))(*[len(t) if t is not None else 0 for t in texts])
    return array, sizes


def test_batch_count_overflow(lib, handle):
    texts, sizes = batch_args([b"t2"])
    out = floats(3)
    assert lib.textrnn_predict_batch(handle, texts, sizes, SIZE_MAX // 2, out, SIZE_MAX, 1) == INVALID
    assert "overflow" in last_error(lib) or "too large" in last_error(lib)
    assert lib.textrnn_predict_batch(handle, texts, sizes, (SIZE_MAX // 3) + 1, out, SIZE_MAX, 1) == INVALID


def test_batch_capacity_too_small(lib, handle):
    texts, sizes = batch_args([b"t2", b"t3"])
    out = floats(6)
    assert lib.textrnn_predict_batch(handle, texts, sizes, 2, out, 5, 1) == INVALID
    assert "capacity" in last_error(lib)


def test_batch_null_arguments(lib, handle):
    texts, sizes = batch_args([b"t2", b"t3"])
    out = floats(6)
    assert lib.textrnn_predict_batch(None, texts, sizes, 2, out, 6, 1) == INVALID
    assert lib.textrnn_predict_batch(handle, None, sizes, 2, out, 6, 1) == INVALID
    assert "texts is NULL" in last_error(lib)
    assert lib.textrnn_predict_batch(handle, texts, None, 2, out, 6, 1) == INVALID
    assert "text_sizes is NULL" in last_error(lib)
    assert lib.textrnn_predict_batch(handle, texts, sizes, 2, None, 6, 1) == INVALID
    assert lib.textrnn_predict_batch(handle, None, None, 0, None, 0, 0) == textrnn.OK


def test_batch_names_first_failing_text(lib, handle):
    texts, sizes = batch_args([b"t2", b"t3", None, b"t4", None])
    sizes[2] = 3
    sizes[4] = 1
    out = floats(15)
    assert lib.textrnn_predict_batch(handle, texts, sizes, 5, out, 15, 4) == INVALID
    assert "texts[2] is NULL" in last_error(lib)
    sizes[2] = 0  # NULL with size 0 is the empty text
    assert lib.textrnn_predict_batch(handle, texts, sizes, 5, out, 15, 4) == INVALID
    assert "texts[4]" in last_error(lib)
    sizes[4] = SIZE_MAX
    assert lib.textrnn_predict_batch(handle, texts, sizes, 5, out, 15, 4) == textrnn.ERROR_LIMIT
    assert "texts[4]" in last_error(lib)


# ---- textrnn_top_k and textrnn_tokenize


def test_top_k_errors(lib, handle):
    labels = (c_size_t * 3)()
    probabilities = floats(3)
    count = c_size_t(99)
    assert lib.textrnn_top_k(handle, b"t2", 2, 0, labels, probabilities, ctypes.byref(count)) == INVALID
    assert "k is 0" in last_error(lib)
    assert lib.textrnn_top_k(handle, b"t2", 2, 2, None, probabilities, ctypes.byref(count)) == INVALID
    assert lib.textrnn_top_k(handle, b"t2", 2, 2, labels, None, ctypes.byref(count)) == INVALID
    assert lib.textrnn_top_k(handle, b"t2", 2, 2, labels, probabilities, None) == INVALID
    assert lib.textrnn_top_k(None, b"t2", 2, 2, labels, probabilities, ctypes.byref(count)) == INVALID
    assert lib.textrnn_top_k(handle, None, 2, 2, labels, probabilities, ctypes.byref(count)) == INVALID
    assert count.value == 99, "out_count untouched on failure"
    assert lib.textrnn_top_k(handle, b"t2", 2, 2, labels, probabilities, ctypes.byref(count)) == textrnn.OK
    assert count.value == 2


def test_tokenize_snprintf_style(lib, handle):
    count = c_size_t(0)
    assert lib.textrnn_tokenize(handle, b"t2 t3", 5, None, 0, ctypes.byref(count)) == textrnn.OK
    assert count.value == 7
    ids = (ctypes.c_int32 * 7)(*([-5] * 7))
    assert lib.textrnn_tokenize(handle, b"t2 t3", 5, ids, 3, ctypes.byref(count)) == textrnn.OK
    assert count.value == 7
    assert list(ids) == [2, 3, 0, -5, -5, -5, -5]
    assert lib.textrnn_tokenize(handle, b"t2 t3", 5, None, 3, ctypes.byref(count)) == INVALID
    assert lib.textrnn_tokenize(handle, b"t2 t3", 5, ids, 7, None) == INVALID
    assert lib.textrnn_tokenize(None, b"t2 t3", 5, ids, 7, ctypes.byref(count)) == INVALID
    assert lib.textrnn_tokenize(handle, None, 1, ids, 7, ctypes.byref(count)) == INVALID


# ---- the per-thread last error


def test_last_error_is_per_thread(lib, handle):
    out = floats(3)
    assert lib.textrnn_predict(handle, b"t2", 2, out, 1) == INVALID
    main_message = last_error(lib)
    seen = {}

    def worker():
        seen["before"] = lib.textrnn_last_error()
        assert lib.textrnn_predict(None, b"t2", 2, out, 3) == INVALID
        seen["after"] = last_error(lib)

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen["before"] == b""
    assert "model is NULL" in seen["after"]
    assert last_error(lib) == main_message
    assert "capacity" in main_message


def test_error_message_survives_successful_calls(lib, handle):
    out = floats(3)
    assert lib.textrnn_predict(handle, b"t2", 2, out, 1) == INVALID
    message = last_error(lib)
    assert lib.textrnn_predict(handle, b"t2", 2, out, 3) == textrnn.OK
    assert last_error(lib) == message
