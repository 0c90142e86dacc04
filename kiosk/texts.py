"""UI strings: the ``N_`` marker and the Simplified Chinese translations.

Every user-visible string in kiosk/ is an English source string passed to ``tr()`` (widgets) or
marked ``N_()`` (view-models). ``python -m kiosk.translations`` writes them with the translations
below into ``assets/translations/kiosk_zh_CN.ts`` and compiles the ``.qm`` Qt loads at run time;
a test fails when a marked string has no translation.
"""

from __future__ import annotations


def N_(text: str) -> str:  # noqa: N802 - the gettext convention, so the string scanner finds it
    """Mark ``text`` for translation without translating it here (view-models are Qt-free)."""
    return text


ZH_CN: dict[str, str] = {
    'Please enter your name.': '请输入您的姓名。',
    'Tap a character above the keys to finish your name, or 中 ⇄ EN to keep the letters.':
        '请点选键盘上方的汉字完成姓名，或按 中 ⇄ EN 保留字母。',
    'The name is too short: at least 2 characters.': '姓名太短：至少 2 个字。',
    'The name is too long: at most 40 characters.': '姓名太长：最多 40 个字。',
    'Please enter your phone number.': '请输入您的手机号码。',
    'A phone number has only digits (and + in front for abroad).': '手机号码只能包含数字（境外号码前加 +）。',
    'An international number has 8 to 15 digits after the +.': '境外号码在 + 后应有 8 到 15 位数字。',
    'A mobile number has 11 digits: please check it.': '手机号码应为 11 位，请检查。',
    'A mobile number starts with 13 to 19: please check it.': '手机号码应以 13 至 19 开头，请检查。',
    'A name has no digits: please check it.': '姓名中不能有数字，请检查。',
    "Only letters, spaces, - and ' are allowed in a name.": "姓名只能包含文字、空格、- 和 '。",
    'Wrong PIN.': 'PIN 码错误。',
    'Switched to {option}. Removed: {removed}.': '已换成{option}。已移除：{removed}。',
    'Thank you: we passed on your wish for {option}.': '谢谢！我们已转达您对{option}的需求。',
    'Thank you: we will explain {option} better.': '谢谢！我们会把{option}说明得更清楚。',
    'Placing your order...': '正在提交订单……',
    '{option} is not available with your current choices.': '{option}与您当前的选择不兼容。',
    'Undone.': '已撤销。',
    'Your order could not be saved, nothing was charged. Please ask our staff. ({problem})': '订单未能保存，未产生任何费用。请联系店员。（{problem}）',
    'Nothing to undo.': '没有可撤销的操作。',
    'Please check the fields marked in red.': '请检查标红的栏目。',
    'Order {number}': '订单 {number}',
    'Base price': '基础价格',
    'Total': '合计',
    'Name': '姓名',
    'Phone': '电话',
    'Rough estimate: ready around {date} (the factory confirms the date)': '粗略估计：约 {date} 完成（以工厂确认的日期为准）',
    'Orders saved on this kiosk': '订单保存在本机',
    'Connected': '已连接',
    'Offline: orders wait on this kiosk': '离线：订单暂存在本机',
    'Sending orders...': '正在发送订单……',
    'Design your own bike. Built for you, in our workshop.': '设计属于您的电动车，由我们的工坊为您打造。',
    'Touch to start': '点击开始',
    'Choose your bike': '选择车型',
    'Back': '返回',
    'Undo': '撤销',
    'Order now': '立即下单',
    'Your details': '您的信息',
    'Mobile phone': '手机号码',
    'Your name': '您的姓名',
    'e.g. 138 0013 8000': '例如 138 0013 8000',
    'Thank you! Your order is placed.': '谢谢！您的订单已提交。',
    'Show this code in the store to collect your bike.': '取车时请在店内出示此二维码。',
    'Print receipt': '打印凭条',
    'Done': '完成',
    'Out of service': '暂停服务',
    'This kiosk is resting. Please ask our staff, we are happy to help.': '本机暂停服务，请联系店员，我们乐意为您服务。',
    'Staff only: enter the PIN to leave': '仅限员工：输入 PIN 码退出',
    'Cancel': '取消',
    'OK': '确定',
    'See summary': '查看汇总',
    'Next': '下一步',
    'included': '已含',
    'This option is unclear': '这个选项看不懂',
    'Delivery date: estimate pending': '交付日期：待估算',
    'Place order': '提交订单',
    'One moment, please': '请稍候',
    'The kiosk is getting ready.': '本机正在准备。',
    'Step {step} of {steps}': '第 {step} 步，共 {steps} 步',
    'Total so far: {price}': '当前合计：{price}',
    'not with your choices': '与已选项不兼容',
    'Switch to this': '换成这个',
    'Ask for this combination': '我想要这个组合',
    'Your {product}': '您的{product}',
    'from {price}': '{price} 起',
    'recommended': '推荐',
    'Rough estimate: ready around {date} (about {days} working days). The factory confirms the date after your order.': '粗略估计：约 {date} 完成（约 {days} 个工作日）。下单后以工厂确认的日期为准。',
    'Receipt saved for printing: {path}': '凭条已保存待打印：{path}',
    'The receipt could not be printed, please ask our staff. It is saved: {path}': '凭条未能打印，请联系店员。已保存：{path}',
    'Receipt printed on {printer}.': '凭条已在 {printer} 打印。',
    'Confirmed by the factory: ready on {date}': '工厂已确认：{date} 完成',
    'The factory needs to check this order; our staff will call you.': '工厂需要核对此订单，店员会与您联系。',
}
