"""Pinyin for espeak-ng's cmn-latn-pinyin voice: words with several readings come out right."""

from __future__ import annotations

import pytest

from qms.voice.pinyin import PinyinReader, check_reading

# Service and place names of real halls whose characters have several readings.
TRICKY = {
    "银行": "yin2 hang2",
    "行政审批": "xing2 zheng4 shen3 pi1",
    "住房公积金提取": "zhu4 fang2 gong1 ji1 jin1 ti2 qu3",
    "公积金还款": "gong1 ji1 jin1 huan2 kuan3",
    "不动产登记": "bu4 dong4 chan3 deng1 ji4",
    "重新办理": "chong2 xin1 ban4 li3",
    "重大项目": "zhong4 da4 xiang4 mu4",
    "长期护理保险": "chang2 qi1 hu4 li3 bao3 xian3",
    "会计资格": "kuai4 ji4 zi1 ge2",
    "调解": "tiao2 jie3",
    "绿色通道": "lv4 se4 tong1 dao4",
    "出入境": "chu1 ru4 jing4",
    "单位参保": "dan1 wei4 can1 bao3",
    "数据共享": "shu4 ju4 gong4 xiang3",
    "号窗口办理": "hao4 chuang1 kou3 ban4 li3",
}


@pytest.mark.parametrize(("text", "reading"), TRICKY.items())
def test_tricky_service_names(text: str, reading: str) -> None:
    assert PinyinReader()(text) == reading


def test_a_call_in_running_text() -> None:
    reader = PinyinReader()
    assert reader("请A023号到5号窗口办理，谢谢。") == (
        "qing3 A ling2 er4 san1 hao4 dao4 wu3 hao4 chuang1 kou3 ban4 li3, xie4 xie4."
    )
    assert reader("3楼12号窗口") == "san1 lou2 shi2 er4 hao4 chuang1 kou3"


def test_a_hall_fixes_the_reading_of_its_own_place_names() -> None:
    assert PinyinReader()("朝阳") == "zhao1 yang2"  # the morning sun; the district is chao2 yang2
    assert PinyinReader({"朝阳": "chao2 yang2"})("朝阳") == "chao2 yang2"


def test_bad_readings_are_refused() -> None:
    assert check_reading(" chao2  yang2 ") == "chao2 yang2"
    for bad in ("chaoyang", "chao2yang2", "", "朝阳"):
        with pytest.raises(ValueError):
            check_reading(bad)
    with pytest.raises(ValueError, match="syllables"):
        PinyinReader({"朝阳区": "chao2 yang2"})
