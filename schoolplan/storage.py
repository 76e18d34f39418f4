"""Storage for files that must never be reachable by URL."""

from django.core.files.storage import FileSystemStorage, storages


class PrivateStorage(FileSystemStorage):
    """Files on disk outside MEDIA_ROOT, read only by views that check access.

    `url()` raises, so no template or admin page can link to a stored file by
    mistake and expose it to whoever serves MEDIA_URL.
    """

    def url(self, name):
        raise NotImplementedError(
            "Private files have no URL; serve them from a view that checks access."
        )


def private_storage():
    """Return the storage configured as STORAGES["private"].

    Model fields take this callable rather than the storage itself, so
    migrations do not record the path on disk.
    """
    return storages["private"]
