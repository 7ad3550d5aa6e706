"""The files gattut knows: where they live under the data root, their sha256
and the canonical public URL to download them from.

Digests are taken from ``shared/data/MANIFEST.md`` of the project (Planetoid:
checked against three independent copies; eng-fra: the digest of the
uncompressed text as the PyTorch tutorial ships it).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RemoteFile", "REGISTRY", "register"]


@dataclass(frozen=True)
class RemoteFile:
    """One file the data layer can find, verify and download.

    Attributes:
        name: path under the data root, with ``/`` separators
            (``"planetoid/ind.cora.x"``). It is also the registry key.
        sha256: hex digest of the file's content. For a file that may be
            stored gzip-compressed (``gzip_ok``) it is the digest of the
            *uncompressed* bytes, so both forms verify against one number.
        url: the canonical public URL.
        size: expected size in bytes of the uncompressed content, if known.
        member: when ``url`` is a zip archive, the path of the file inside it.
        gzip_ok: a copy stored as ``name + ".gz"`` is accepted too.
        source: one line saying where the file comes from and what to cite.
    """

    name: str
    sha256: str
    url: str
    size: int | None = None
    member: str | None = None
    gzip_ok: bool = False
    source: str = ""

    def __post_init__(self):
        parts = self.name.split("/") if isinstance(self.name, str) else []
        if not parts or any(p in ("", ".", "..") for p in parts) or "\\" in self.name:
            raise ValueError(
                f"RemoteFile name must be a relative path with / separators, like "
                f"'planetoid/ind.cora.x', got {self.name!r}"
            )
        if (
            not isinstance(self.sha256, str)
            or len(self.sha256) != 64
            or any(c not in "0123456789abcdef" for c in self.sha256)
        ):
            raise ValueError(
                f"{self.name}: sha256 must be 64 lowercase hex digits, got {self.sha256!r}"
            )
        if not isinstance(self.url, str) or not self.url.startswith(("https://", "http://")):
            raise ValueError(f"{self.name}: url must be an http(s) URL, got {self.url!r}")


REGISTRY: dict[str, RemoteFile] = {}


def register(remote: RemoteFile) -> RemoteFile:
    """Add ``remote`` to the registry (its ``name`` is the key) and return it.

    Registering the same file again is allowed; another file under a name
    that is taken is refused (a silent swap would change what a loader verifies).
    """
    if not isinstance(remote, RemoteFile):
        raise TypeError(f"register takes a RemoteFile, got {type(remote).__name__}")
    known = REGISTRY.get(remote.name)
    if known is not None and known != remote:
        raise ValueError(
            f"{remote.name} is registered already with sha256 {known.sha256} from {known.url}; "
            "refusing to replace it (give the new file another name)"
        )
    REGISTRY[remote.name] = remote
    return remote


PLANETOID_URL = "https://github.com/kimiyoung/planetoid/raw/master/data"
_PLANETOID_SOURCE = (
    "Planetoid split of Yang, Cohen & Salakhutdinov (ICML 2016); Cora and CiteSeer from "
    "Sen et al. (2008), PubMed from Namata et al. (2012)."
)


def _planetoid(filename: str, size: int, sha256: str) -> RemoteFile:
    return register(
        RemoteFile(
            name=f"planetoid/{filename}",
            sha256=sha256,
            url=f"{PLANETOID_URL}/{filename}",
            size=size,
            source=_PLANETOID_SOURCE,
        )
    )


for _args in [
    ("ind.citeseer.allx", 595_021, "2ac30345d95c9ec933a817ee0bdd6a5f077f8c184a20e696910192d534414668"),
    ("ind.citeseer.ally", 55_623, "f704b2d986dde6c2669934de1f3ae5696a6cf9455c0f6b2646a2d135ea0a1c95"),
    ("ind.citeseer.graph", 61_987, "d79a4ef9d3e7169aee8946145f6b7306e35bc79bffad26346cfb94e10e9912a7"),
    ("ind.citeseer.test.index", 5_000, "2af990671580b6b2df5d158d1038f8292e30c9cd821b5453f399659b25b723d4"),
    ("ind.citeseer.tx", 260_321, "539a8906a2da97628d212f2fdd668c109a8b3f0d36574b59e5d3fd5b5303da21"),
    ("ind.citeseer.ty", 24_135, "55e5bd1ba1e733a04598753ad1a8d57957f4b8f89e74519f41f4f4938767e4ce"),
    ("ind.citeseer.x", 31_087, "d20de19150741e555de0ed037195630fc194114ebc7fd72ced62810148aa22f6"),
    ("ind.citeseer.y", 3_014, "8ba87e515d8e3ee3cf52f6d2c5b86aa73f11ecad825a808455209ec26cd54924"),
    ("ind.cora.allx", 257_305, "9419ba2f26f5c35243db64aba110e0f35a04851609e0dc5433450676ca6b8543"),
    ("ind.cora.ally", 47_959, "2b998f5cc7fedc86e7f97ca2498f47a1ffc1462c29e2d578b23bf3f62b6e7d71"),
    ("ind.cora.graph", 59_847, "58f13302f39dde8852dad6fe6d15b89b077b6d7f837626bce671ef80344b383d"),
    ("ind.cora.test.index", 5_000, "297ce89af2b51a6a194181c7dbe1796c6a1cf9cd9349a88383b1b1e227867875"),
    ("ind.cora.tx", 148_025, "b9afbaa4a400df991f6f02ef677e1e44da55ffc04801fd02f9e673987829226a"),
    ("ind.cora.ty", 28_135, "41f5ac76596a1699cc33f53084a2419e92961c42bb75f36fc38e616d348532ad"),
    ("ind.cora.x", 22_119, "23cfa55d91c6f624233f5eb7b6e3f141f1bd2b2ae39608a63cf5d084bb27baab"),
    ("ind.cora.y", 4_054, "94465c14eb53e04ca262198dcbb2521ee8af60fb3f3d546cd6ca24a511b0e7d1"),
    ("ind.pubmed.allx", 7_578_385, "508e538e2abdccdd54c4d3e9f49d638b4af7107d85845f66ddea5a5152658b7e"),
    ("ind.pubmed.ally", 224_739, "0c37bbe3b5014ec365e9d393cf4791925e5ed94fb194305d74f064a8d7b50f0e"),
    ("ind.pubmed.graph", 471_808, "5b89f0036ca22909471f1e6558eb42fa06e0c730a577bde5b058b40638f81dc9"),
    ("ind.pubmed.test.index", 6_000, "b101d421688bbaecbd82e8a18f1e282378d6830f3a37666f28ebc47f844341b5"),
    ("ind.pubmed.tx", 405_505, "4eb5f5d0f30f26497eb0ac6ac9719d09c67e284f1ed0385c93f3ef27a671da3d"),
    ("ind.pubmed.ty", 12_135, "ee2e0d4819d9fbcc403689c3bf2e49face401b605932f093bc58ab6461130fdd"),
    ("ind.pubmed.x", 23_172, "fbe9cb5c47200d1b7769a26e579be3b7130b556831f9d850e77c4c74f2599b33"),
    ("ind.pubmed.y", 854, "e6c807633307a07ed659249006536a147c7999c797f11a2560752990181b41b3"),
]:
    _planetoid(*_args)

# The PyTorch tutorial ships eng-fra.txt inside data.zip; the project's shared
# copy is the same text compressed with gzip. The digest is of the plain text,
# so a download and the shared copy verify against the same number.
register(
    RemoteFile(
        name="translation/eng-fra.txt",
        sha256="6b0f3decdb78600485b58efb541f5a2ab69ba888742ac04180e013084e40de7c",
        url="https://download.pytorch.org/tutorial/data.zip",
        size=9_541_158,
        member="data/eng-fra.txt",
        gzip_ok=True,
        source=(
            "Tatoeba sentences (CC-BY 2.0 FR, tatoeba.org contributors), pairs compiled by "
            "manythings.org/anki, packaged by the PyTorch seq2seq tutorial."
        ),
    )
)

# PPI in the DGL / PyG layout (twelve files in one zip), read by gattut.data.ppi.
# UNVERIFIED: no copy of the archive was available to this project; the digest
# is the one a third-party analysis file gives for the DGL ppi.zip (see
# shared/data/MANIFEST.md, section 2). If it is wrong, path() raises
# ChecksumError; unzipping the archive by hand into <data root>/ppi/ still works.
register(
    RemoteFile(
        name="ppi/ppi.zip",
        sha256="1f5b2b09ac0f897fa6aa1338c64ab75a5473674cbba89380120bede8cddb2a6a",
        url="https://data.dgl.ai/dataset/ppi.zip",
        source=(
            "PPI tissue graphs of Zitnik & Leskovec (2017), preprocessed by Hamilton, Ying & "
            "Leskovec (2017); DGL/PyG file layout. sha256 from a third party, unverified."
        ),
    )
)
